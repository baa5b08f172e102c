/**
 * mini-MGTIL: five 28×28 tasks on the data the project ships (primed-decisions.md §6), so the
 * whole protocol runs anywhere in minutes. Order I goes domain by domain (X-ray, ultrasound,
 * fundus, pathology, microscopy); Order II is alphabetical.
 */
import type { BenchmarkSpec, TaskSpec } from './types';

/**
 * Fixed seed and shares of the PathMNIST subset's re-split (it ships only test images). Fixed,
 * not the run seed, so that the held-out slice (its `val` split, which also feeds the mini
 * corpus) is the same in every run.
 */
export const PATHMNIST_SUBSET_RESPLIT = { from: 'test' as const, seed: 0, fractions: { train: 0.6, val: 0.15, test: 0.25 } };

const MEDMNIST_ORIGIN = 'MedMNIST v2 (Yang et al., Scientific Data 2023), https://zenodo.org/records/10519652; bundled in data/medmnist';

const tasks: TaskSpec[] = [
  {
    id: 'pneumoniamnist',
    paperName: 'PneumoniaMNIST',
    title: 'PneumoniaMNIST v2 (paediatric chest X-ray)',
    domain: 'chest X-ray',
    classNames: ['normal lungs', 'pneumonia'],
    nativeLabels: ['normal', 'pneumonia'],
    templates: ['a chest X-ray photo of {}.', 'a chest radiograph showing {}.', 'a paediatric chest X-ray with {}.'],
    source: { kind: 'medmnist-npz', file: 'medmnist/pneumoniamnist.npz' },
    origin: MEDMNIST_ORIGIN,
    licence: 'CC BY 4.0',
    nativeLayout: 'npz: {train,val,test}_images uint8 [n,28,28], {train,val,test}_labels uint8 [n,1]; official splits 4708/524/624',
  },
  {
    id: 'breastmnist',
    paperName: 'BreastMNIST',
    title: 'BreastMNIST v2 (breast ultrasound)',
    domain: 'ultrasound',
    classNames: ['malignant breast tumour', 'normal or benign breast tissue'],
    nativeLabels: ['malignant', 'normal, benign'],
    templates: ['a breast ultrasound photo of {}.', 'a breast ultrasound image showing {}.', 'an ultrasound scan of the breast with {}.'],
    source: { kind: 'medmnist-npz', file: 'medmnist/breastmnist.npz' },
    origin: MEDMNIST_ORIGIN,
    licence: 'CC BY 4.0',
    nativeLayout: 'npz: grey uint8 [n,28,28]; official splits 546/78/156',
  },
  {
    id: 'retinamnist',
    paperName: 'RetinaMNIST',
    title: 'RetinaMNIST v2 (colour fundus, diabetic retinopathy grade)',
    domain: 'fundus',
    classNames: [
      'no diabetic retinopathy (grade 0)',
      'mild non-proliferative diabetic retinopathy (grade 1)',
      'moderate non-proliferative diabetic retinopathy (grade 2)',
      'severe non-proliferative diabetic retinopathy (grade 3)',
      'proliferative diabetic retinopathy (grade 4)',
    ],
    nativeLabels: ['0', '1', '2', '3', '4'],
    templates: ['a fundus photo of {}.', 'a retinal fundus photograph showing {}.', 'a color fundus image of an eye with {}.'],
    source: { kind: 'medmnist-npz', file: 'medmnist/retinamnist.npz' },
    origin: MEDMNIST_ORIGIN,
    licence: 'CC BY 4.0',
    nativeLayout: 'npz: RGB uint8 [n,28,28,3]; official splits 1080/120/400',
  },
  {
    id: 'pathmnist',
    paperName: 'PathMNIST (718-image subset)',
    title: 'PathMNIST v2 test-split subset (colon H&E, 9 tissue classes)',
    domain: 'pathology',
    classNames: [
      'adipose tissue',
      'background',
      'debris',
      'lymphocytes',
      'mucus',
      'smooth muscle',
      'normal colon mucosa',
      'cancer-associated stroma',
      'colorectal adenocarcinoma epithelium',
    ],
    nativeLabels: ['adipose', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium'],
    templates: ['a pathology photo of {}.', 'an H&E stained histopathology image of {}.', 'a colorectal tissue patch showing {}.'],
    source: { kind: 'medmnist-npz', file: 'medmnist/pathmnist_test_subset718.npz', resplit: PATHMNIST_SUBSET_RESPLIT },
    origin: MEDMNIST_ORIGIN + ' (718 images of the official test split)',
    licence: 'CC BY 4.0',
    nativeLayout: 'npz: only test_images RGB uint8 [718,28,28,3] / test_labels; re-split here 60/15/25 stratified with seed 0',
  },
  {
    id: 'bloodmnist',
    paperName: 'BloodMNIST-style PBC subset',
    title: 'PBC blood cells (BloodMNIST label order, rebuilt from the original PBC images)',
    domain: 'blood cell microscopy',
    classNames: ['basophil', 'eosinophil', 'erythroblast', 'immature granulocyte', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'],
    nativeLabels: ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes(myelocytes, metamyelocytes and promyelocytes)', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'],
    templates: ['a blood cell microscopy photo of a {}.', 'a peripheral blood smear image of a {}.', 'a microscopy photo of a {} blood cell.'],
    source: { kind: 'medmnist-npz', file: 'medmnist/bloodmnist_pbc28_subset.npz' },
    origin: 'PBC dataset (Acevedo et al., Data in Brief 2020), centre-crop + resize as MedMNIST; balanced subset bundled in data/medmnist (not the official BloodMNIST file or split)',
    licence: 'CC BY 4.0',
    nativeLayout: 'npz: RGB uint8 [n,28,28,3]; splits 2000/400/800, balanced over 8 classes',
  },
];

/** The mini-MGTIL benchmark spec. */
export const miniMgtil: BenchmarkSpec = {
  name: 'mini-mgtil',
  title: 'mini-MGTIL (bundled 28×28 MedMNIST-style tasks)',
  description:
    'Five small tasks on the data shipped in data/medmnist: chest X-ray, breast ultrasound, fundus, pathology, blood-cell microscopy. ' +
    'Runs anywhere; a stand-in for HieraMedTransfer/MedXtreme at CPU scale, not a reproduction of the paper numbers.',
  tasks,
  orders: {
    I: ['pneumoniamnist', 'breastmnist', 'retinamnist', 'pathmnist', 'bloodmnist'],
    II: ['bloodmnist', 'breastmnist', 'pathmnist', 'pneumoniamnist', 'retinamnist'],
  },
  data: 'bundled',
};
